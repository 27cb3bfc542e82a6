"""Admin → Follow lists: owner cookies, manual import with preview, list syncs and held runs."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select

from mhc.admin import links
from mhc.admin.base import SecuredBaseView, uuid_or_404
from mhc.auth import permissions as perms
from mhc.extensions import db
from mhc.input_guard import shorten
from mhc.jobs import JobAlreadyRunning, JobsUnavailable
from mhc.jobs.follow_jobs import FOLLOW_SYNC, HeldRunError, confirm_held_run, enqueue_follow_sync
from mhc.models import JobRun, parse_uuid, utcnow
from mhc.services import readiness, secrets
from mhc.services.follows import follow_ledger, held_lists, sync
from mhc.services.follows.direction import Direction
from mhc.services.follows.ledger_types import NAME_GROUPS, NamesQuery

CATEGORY = "Admin"
MAX_UPLOAD_FILES = 50
NAMES_PER_PAGE = 50
MAX_PROBLEMS_SHOWN = 5  # flashed messages live in the session cookie: a few short ones


def _direction_or_400(value: str | None) -> Direction:
    """The form's direction, parsed here once; anything else is a 400 with the same words as the CLI's."""
    try:
        return Direction.parse(value)
    except ValueError:
        abort(400, "direction must be following or followers")


def _settings() -> sync.FollowSettings:
    return sync.FollowSettings.from_config(current_app.config)


class FollowListsView(SecuredBaseView):
    """Import cookies, import a list by hand, start syncs, confirm held mass removals."""

    permission = edit_permission = perms.MANAGE_JOBS

    @expose("/")
    def index(self):
        stmt = select(JobRun).where(JobRun.kind == FOLLOW_SYNC).order_by(JobRun.created_at.desc()).limit(20)
        runs = list(db.session.scalars(stmt))
        return self.render(
            "admin/follows/index.html",
            cookies=secrets.describe(db.session, secrets.COOKIES),
            runs=runs,
            confirmed=held_lists.confirmations(db.session, [r.id for r in runs]),
            waiting=held_lists.waiting(db.session, [r.id for r in runs if r.status == "held"]),
            pending=follow_ledger.pending_persons(db.session),
            Direction=Direction,
        )

    @expose("/cookies", methods=["POST"])
    def cookies(self):
        try:
            count = secrets.store_cookies(db.session, request.form.get("cookies", ""), actor_id=current_user.id)
            flash(f"Saved {count} cookies. They are stored server-side and never shown again.", "success")
        except secrets.CookieFormatError as exc:
            flash(f"Cookies not saved: {shorten(exc)}", "error")
        return redirect(url_for(".index"))

    @expose("/import/preview", methods=["POST"])
    def preview(self):
        direction = _direction_or_400(request.form.get("direction"))
        files = [(shorten(f.filename or "upload", 60), f.read().decode("utf-8", "replace")) for f in _uploads()]
        if request.form.get("usernames", "").strip():
            files.append(("pasted list", request.form["usernames"]))
        listed = sync.read_import(db.session, files, direction, _settings())
        if not listed.ok:
            for problem in listed.problems[:MAX_PROBLEMS_SHOWN]:
                flash(f"Not imported: {shorten(problem)}", "error")
            return redirect(url_for(".index"))
        held = sync.preview(db.session, listed, utcnow(), actor_id=current_user.id, settings=_settings())
        return self._preview_page(held, direction, NamesQuery(per_page=NAMES_PER_PAGE))

    @expose("/held/<held_id>")
    def held(self, held_id):
        """A held list's page (an import preview, or a sync the guard held): counts and names, paged and
        searched by GET; the list stays on the server and nothing here writes."""
        query = _names_query()
        review = sync.review(db.session, uuid_or_404(held_id), query, settings=_settings())
        if review is None:
            flash("That list is no longer waiting: it was applied, or it expired.", "error")
            return redirect(url_for(".index"))
        return self._preview_page(review.held, review.direction, query, review.run_id, review.stale)

    def _preview_page(self, held, direction, query, run_id=None, stale=None):
        return self.render(
            "admin/follows/preview.html",
            direction=direction,
            result=held.result,
            held=held,
            names=held.names,
            groups=NAME_GROUPS,
            query=query,
            run_id=run_id,
            stale=stale,
        )

    @expose("/import/apply", methods=["POST"])
    def apply(self):
        try:
            result = sync.apply(
                db.session,
                parse_uuid(request.form.get("held_id", "")),
                request.form.get("fingerprint", ""),
                actor_id=current_user.id,
                settings=_settings(),
                confirm_mass_removal=request.form.get("confirm_mass_removal") == "1",
            )
        except (ValueError, follow_ledger.FollowListError) as exc:  # StalePreview is a ValueError
            flash(f"Not imported: {shorten(exc)}", "error")
            return redirect(url_for(".index"))
        if result.held:
            flash(f"Not applied: {result.reason}", "error")
        else:
            flash(f"Applied: added {result.added}, removed {result.removed}, unchanged {result.unchanged}.", "success")
        return redirect(url_for(".index"))

    @expose("/sync", methods=["POST"])
    def sync(self):
        direction = _direction_or_400(request.form.get("direction") or request.args.get("direction"))
        wants_json = request.accept_mimetypes.best == "application/json"
        missing = readiness.missing_for(FOLLOW_SYNC, db.session, current_app.config)
        if missing:  # the run could only fail: refuse it here, with the same words as the disabled button
            if wants_json:
                return jsonify({"error": missing.sentence(), "run_id": None, "needs": links.shown(missing).url}), 409
            flash(f"Not started: {missing.sentence()}", "error")
            return redirect(_next_or(url_for(".index")))
        try:
            run = enqueue_follow_sync(direction, actor_id=current_user.id)
        except (JobAlreadyRunning, JobsUnavailable) as exc:
            running = getattr(exc, "run", None)
            if wants_json:
                return jsonify({"error": str(exc), "run_id": str(running.id) if running else None}), 409
            flash(f"Not started: {exc}", "error")
            return redirect(_next_or(url_for(".index")))
        if wants_json:
            return jsonify({"run_id": str(run.id), "status": run.status, "progress_url": self._progress_url(run)})
        flash(f"Started the {direction.value} sync (run {run.id}).", "success")
        return redirect(_next_or(url_for(".index")))

    @expose("/runs/<run_id>.json")
    def run_progress(self, run_id):
        run = db.session.get(JobRun, uuid_or_404(run_id))
        if run is None or run.kind != FOLLOW_SYNC:
            abort(404)
        return jsonify(links.progress_words(run))

    @expose("/runs/<run_id>/confirm", methods=["POST"])
    def confirm(self, run_id):
        fingerprint = request.form.get("fingerprint", "")
        try:
            result = confirm_held_run(uuid_or_404(run_id), fingerprint, actor_id=current_user.id)
            flash(f"Applied: added {result.added}, removed {result.removed}, unchanged {result.unchanged}.", "success")
        except (HeldRunError, sync.StalePreview) as exc:
            flash(f"Not applied: {shorten(exc)}", "error")
        return redirect(url_for(".index"))

    def _progress_url(self, run) -> str:
        return url_for(".run_progress", run_id=run.id)


def _names_query() -> NamesQuery:
    """The search, and which group's page, from the query string (anything odd means the first page)."""
    group = request.args.get("group")
    page = request.args.get("page", "1")
    return NamesQuery(
        search=request.args.get("q", "")[:64],
        group=group if group in NAME_GROUPS else None,
        page=int(page) if page.isascii() and page.isdigit() and 0 < len(page) <= 6 and int(page) > 0 else 1,
        per_page=NAMES_PER_PAGE,
    )


def _uploads():
    files = [f for f in request.files.getlist("files") if f and f.filename]
    return files[:MAX_UPLOAD_FILES]


def _next_or(default: str) -> str:
    """A same-site path from the form's `next`, else the default."""
    target = request.form.get("next") or ""
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith(("//", "/\\")) and not parts.netloc and not parts.scheme:
        return target
    return default


def register(admin) -> None:
    """Add the Follow lists page under Admin."""
    admin.add_view(FollowListsView(name="Follow lists", endpoint="follows", url="follow-lists", category=CATEGORY))
