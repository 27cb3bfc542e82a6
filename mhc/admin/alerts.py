"""Admin → Alerts: where alerts go (channels), what raises them (rules), and what was sent (the delivery log).

The page only asks: every change is one call into mhc.services.alerts, which checks it, audits it and commits,
and whose AlertError messages are written for the owner and shown as they are. A channel's URL carries its
credentials, so it is only ever posted: no page renders it back, not even a refused form, and it is never logged
(docs/alerts.md#channels-and-secrets).
Every POST redirects back to the page; a refused form's other values come back through the session, once.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, request, session, url_for
from flask_admin import expose
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, HiddenField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from mhc.admin.base import SecuredBaseView, SecureForm, parse_pk, time_tag
from mhc.auth import permissions as perms
from mhc.extensions import db
from mhc.input_guard import shorten
from mhc.models import AlertChannel, AlertDelivery, AlertRule
from mhc.services import alerts

CATEGORY = "Admin"
APPRISE_URL_DOCS = "https://github.com/caronc/apprise/wiki"
DRAFT_KEY = "alerts_draft"  # the last refused form: which one, its values (never the URL) and why
LOG_SIZE = 50

# The settings a rule kind may use (RULE_KINDS[kind].fields names a subset), in the order the form shows them.
RULE_FIELDS = {
    "min_tokens": "Tipped at least (tokens)",
    "window_days": "Within the last (days)",
    "min_followers": "Has at least (followers)",
    "stale_days": "No sync for (days)",
    "digest_time": "Send at (HH:MM, your time zone)",
}
FIELD_HELP = {"window_days": "Leave empty to count every token they ever tipped."}
STATUS_BADGES = {"pending": "secondary", "sending": "info", "sent": "success", "failed": "danger"}


def status_label(delivery: AlertDelivery) -> str:
    """A delivery's state in plain words (a failed one with a next try is retried by itself)."""
    if delivery.status == "failed":
        return "Failed, will try again" if delivery.next_try_at else "Failed"
    return {"pending": "Waiting to send", "sending": "Sending", "sent": "Sent"}.get(delivery.status, delivery.status)


def sentence(message: str) -> str:
    """A service's refusal as a sentence on the page: capital first letter, at most 200 characters."""
    message = shorten(message)
    return message[:1].upper() + message[1:]


class ChannelForm(SecureForm):
    """A new channel: a name for the owner and the Apprise URL (write-only)."""

    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    url = PasswordField("Apprise URL", validators=[DataRequired(), Length(max=2000)])


class RuleForm(SecureForm):
    """A rule: when to alert and where; the kind decides which of the settings count."""

    KEPT = ("rule_id", "name", "kind", "channel_id", "enabled", *RULE_FIELDS)  # refilled after a refusal

    rule_id = HiddenField()
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    kind = SelectField("When", choices=[])
    channel_id = SelectField("Send to", choices=[])
    enabled = BooleanField("On", default=True)
    min_tokens = IntegerField(RULE_FIELDS["min_tokens"], validators=[Optional()])
    window_days = IntegerField(RULE_FIELDS["window_days"], validators=[Optional()])
    min_followers = IntegerField(RULE_FIELDS["min_followers"], validators=[Optional()])
    stale_days = IntegerField(RULE_FIELDS["stale_days"], validators=[Optional()])
    digest_time = StringField(RULE_FIELDS["digest_time"], validators=[Optional(), Length(max=5)])

    def offer(self, channels) -> RuleForm:
        """Fill the choices: every rule kind, every channel."""
        self.kind.choices = [(key, kind.label) for key, kind in alerts.RULE_KINDS.items()]
        self.channel_id.choices = [(str(c.id), c.name) for c in channels]
        return self

    def validate(self, extra_validators=None) -> bool:
        """Check the fields; a setting the chosen kind does not use is ignored, so its leftovers cannot refuse."""
        super().validate(extra_validators)
        kind = alerts.RULE_KINDS.get(self.kind.data)
        for name in RULE_FIELDS:
            if kind and name not in kind.fields:
                self[name].errors = []
        return not self.errors

    def values(self) -> dict:
        """What save_rule gets: the common values and only the settings the chosen kind uses."""
        kind = alerts.RULE_KINDS.get(self.kind.data)
        used = kind.fields if kind else RULE_FIELDS
        values = {"name": self.name.data.strip(), "kind": self.kind.data, "enabled": bool(self.enabled.data)}
        values["channel_id"] = _key(AlertChannel, self.channel_id.data)
        return values | {name: self[name].data for name in RULE_FIELDS if name in used}


def _key(model, raw):
    """A row id from a form or URL, parsed for the model's key type; None when it cannot be one."""
    return parse_pk(sa.inspect(model).primary_key[0], raw) if raw else None


def _key_or_404(model, raw):
    key = _key(model, raw)
    if key is None:
        abort(404)
    return key


class AlertsView(SecuredBaseView):
    """Channels, rules and the delivery log on one page; every form posts to its own endpoint and comes back."""

    permission = edit_permission = perms.MANAGE_ALERTS

    @expose("/")
    def index(self):
        channels, rules = alerts.list_channels(db.session), alerts.list_rules(db.session)
        draft = session.pop(DRAFT_KEY, None) or {}
        rule_form, editing = self._rule_form(channels, rules, draft)
        channel_form = ChannelForm(formdata=_draft_data(draft, "channel"))
        return self.render(
            "admin/alerts/index.html",
            channels=channels,
            rules=rules,
            deliveries=alerts.recent_deliveries(db.session, limit=LOG_SIZE),
            addresses={c.id: alerts.describe_channel(c) for c in channels},
            channel_names={c.id: c.name for c in channels},
            rule_names={r.id: r.name for r in rules},
            kinds=alerts.RULE_KINDS,
            rule_fields=RULE_FIELDS,
            field_help=FIELD_HELP,
            used_by={f: [k for k, kind in alerts.RULE_KINDS.items() if f in kind.fields] for f in RULE_FIELDS},
            channel_form=channel_form,
            rule_form=rule_form,
            editing=editing,
            errors={draft.get("form"): draft.get("errors", [])},
            form=SecureForm(),
            when=time_tag,
            status_label=status_label,
            status_badges=STATUS_BADGES,
            apprise_docs=APPRISE_URL_DOCS,
        )

    def _rule_form(self, channels, rules, draft: dict):
        """The rule form: a refused one as it was sent, the rule named by ?rule= to edit, or a blank new one."""
        data = _draft_data(draft, "rule")
        wanted = data.get("rule_id") if data else request.args.get("rule")
        editing = next((r for r in rules if str(r.id) == wanted), None) if wanted else None
        if data is not None:
            return RuleForm(formdata=data).offer(channels), editing
        if editing is None:
            return RuleForm(formdata=None).offer(channels), None
        form = RuleForm(formdata=None, obj=editing).offer(channels)
        form.rule_id.data = str(editing.id)
        return form, editing

    @expose("/channels", methods=["POST"])
    def add_channel(self):
        form = ChannelForm()
        kept = {"name": form.name.data or ""}
        if not form.validate_on_submit():
            return self._refused("channel", _form_errors(form), kept)
        name, url = form.name.data.strip(), form.url.data.strip()
        refusal = self._call(alerts.add_channel, db.session, name, url, actor_id=current_user.id)
        if refusal:
            return self._refused("channel", [refusal.replace(url, "(the URL)")], kept)
        flash(f"Channel “{shorten(name, 60)}” added. Send a test to check that it reaches you.", "success")
        return self._back("channels")

    @expose("/channels/<channel_id>/test", methods=["POST"])
    def send_test(self, channel_id):
        key = _key_or_404(AlertChannel, channel_id)
        self._button(alerts.send_test, key, done="Test message queued: its delivery shows in the log below.")
        return self._back("deliveries")

    @expose("/channels/<channel_id>/enabled", methods=["POST"])
    def set_channel_enabled(self, channel_id):
        key, enabled = _key_or_404(AlertChannel, channel_id), request.form.get("enabled") == "1"
        done = "Channel turned on." if enabled else "Channel turned off: nothing is sent to it until you turn it on."
        self._button(alerts.set_channel_enabled, key, enabled, done=done)
        return self._back("channels")

    @expose("/channels/<channel_id>/remove", methods=["POST"])
    def remove_channel(self, channel_id):
        self._button(alerts.remove_channel, _key_or_404(AlertChannel, channel_id), done="Channel removed.")
        return self._back("channels")

    @expose("/rules", methods=["POST"])
    def save_rule(self):
        form = RuleForm().offer(alerts.list_channels(db.session))
        rule_id = _key(AlertRule, form.rule_id.data)
        if form.rule_id.data and rule_id is None:
            abort(404)
        kept = {k: v for k, v in request.form.items() if k in RuleForm.KEPT}
        if not form.validate_on_submit():
            return self._refused("rule", _form_errors(form), kept)
        refusal = self._call(alerts.save_rule, db.session, rule_id, form.values(), actor_id=current_user.id)
        if refusal:
            return self._refused("rule", [refusal], kept)
        flash("Rule saved." if rule_id else "Rule added.", "success")
        return self._back("rules")

    @expose("/rules/<rule_id>/remove", methods=["POST"])
    def remove_rule(self, rule_id):
        self._button(alerts.remove_rule, _key_or_404(AlertRule, rule_id), done="Rule removed.")
        return self._back("rules")

    @expose("/deliveries/<delivery_id>/retry", methods=["POST"])
    def retry_delivery(self, delivery_id):
        key = _key_or_404(AlertDelivery, delivery_id)
        self._button(alerts.retry_delivery, key, done="Sending it again: the log below shows how it goes.")
        return self._back("deliveries")

    # --- helpers: every POST ends in a redirect back to the page ---

    @staticmethod
    def _call(service, *args, **kwargs) -> str | None:
        """Run one service call: None when done, else its refusal in the owner's words (nothing was changed)."""
        try:
            service(*args, **kwargs)
        except alerts.AlertError as exc:
            db.session.rollback()
            return str(exc)
        return None

    def _button(self, service, *args, done: str) -> None:
        """A one-button form (only the CSRF token): run the service for the current user, flash how it went."""
        if not SecureForm().validate_on_submit():
            flash("The form was incomplete; nothing changed.", "error")
            return
        refusal = self._call(service, db.session, *args, actor_id=current_user.id)
        if refusal:
            flash(sentence(refusal), "error")
        else:
            flash(done, "success")

    def _refused(self, form: str, errors: list[str], kept: dict):
        """Back to the page with the refused form's errors shown at it and its values (never a URL) refilled."""
        kept = {k: shorten(v, 100) for k, v in kept.items()}
        session[DRAFT_KEY] = {"form": form, "errors": [sentence(e) for e in errors], "values": kept}
        return self._back("rule-form" if form == "rule" else "channel-form")

    def _back(self, anchor: str):
        return redirect(url_for(".index", _anchor=anchor))


def _draft_data(draft: dict, form: str) -> MultiDict | None:
    """A refused form's values as form data, when the draft is that form's; else None."""
    if draft.get("form") != form or "values" not in draft:
        return None
    return MultiDict(draft["values"])


def _form_errors(form) -> list[str]:
    """Field errors as sentences naming the field (the CSRF token's as the usual incomplete-form words)."""
    messages = []
    for name, errors in form.errors.items():
        if name == "csrf_token":
            messages.append("The form was incomplete or too old; nothing changed. Please try again.")
            continue
        label = form[name].label.text
        messages += [f"{label}: {shorten(error, 120)}" for error in errors]
    return messages


def register(admin) -> None:
    """Add the Alerts page under Admin."""
    admin.add_view(AlertsView(name="Alerts", endpoint="alerts", url="/alerts", category=CATEGORY))
