"""Admin → Jobs: runs with live progress, errors and artifacts, retry and cancel, schedules, workers."""

from __future__ import annotations

import io

from flask import abort, current_app, flash, jsonify, redirect, request, send_file, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select

from mhc.admin import links
from mhc.admin.base import SecuredBaseView, uuid_or_404
from mhc.auth import permissions as perms
from mhc.extensions import db
from mhc.jobs import JobAlreadyRunning, JobsUnavailable, control, queues, recovery, scheduler
from mhc.models import JobRun, parse_uuids
from mhc.models.jobs import STATUSES
from mhc.services import job_artifacts, job_targets, readiness

CATEGORY = "Admin"
PAGE_SIZE = 50
ARTIFACT_TYPES = {"screenshot": "image/png", "html": "text/plain"}
# The scheduled kinds can also be started by hand, with the same lock keys as the schedule's runs.
STARTERS = {schedule.kind: schedule.start for schedule in scheduler.SCHEDULES}


class JobsView(SecuredBaseView):
    """Background runs from job_runs; every page works (and says so) when Redis is down."""

    permission = edit_permission = perms.MANAGE_JOBS

    @expose("/")
    def index(self):
        status = request.args.get("status") if request.args.get("status") in STATUSES else None
        recovery.mark_stale_runs()  # a run whose worker died shows failed (and frees its lock key) from now on
        stmt = select(JobRun).order_by(JobRun.created_at.desc(), JobRun.id.desc()).limit(PAGE_SIZE)
        if status:
            stmt = stmt.where(JobRun.status == status)
        runs = list(db.session.scalars(stmt))
        try:
            workers, unavailable = control.workers(), None
        except JobsUnavailable as exc:
            workers, unavailable = [], str(exc)
        return self.render(
            "admin/jobs/index.html",
            runs=runs,
            targets=job_targets.usernames(db.session, runs),
            status=status,
            statuses=STATUSES,
            schedules=scheduler.status(current_app.config),
            workers=workers,
            heartbeats=control.worker_heartbeats(),
            embedded=queues().embedded,
            unavailable=unavailable,
        )

    @expose("/<run_id>/")
    def detail(self, run_id):
        run = db.session.get(JobRun, uuid_or_404(run_id)) or abort(404)
        return self.render(
            "admin/jobs/detail.html",
            run=run,
            stored=job_artifacts.listed(db.session, run.id),
            targets=job_targets.usernames(db.session, [run], limit=None).get(run.id),
        )

    @expose("/progress.json")
    def progress(self):
        ids = parse_uuids(request.args.get("ids", "").split(",")[:PAGE_SIZE])
        recovery.mark_stale_runs()
        runs = db.session.scalars(select(JobRun).where(JobRun.id.in_(ids))) if ids else []
        return jsonify({str(r.id): links.progress_words(r) for r in runs})

    @expose("/<run_id>/artifact/<artifact>")
    def artifact(self, run_id, artifact):
        if artifact not in ARTIFACT_TYPES:
            abort(404)
        stored = job_artifacts.fetch(db.session, uuid_or_404(run_id), artifact) or abort(404)
        # Captured HTML is untrusted: served as a plain-text download, never rendered in our origin.
        return send_file(
            io.BytesIO(stored.content),
            mimetype=ARTIFACT_TYPES[artifact],
            as_attachment=artifact == "html",
            download_name="page.html" if artifact == "html" else "screenshot.png",
        )

    @expose("/<run_id>/retry", methods=["POST"])
    def retry(self, run_id):
        run = db.session.get(JobRun, uuid_or_404(run_id)) or abort(404)
        missing = readiness.missing_for_retry(run, db.session, current_app.config)
        if missing:  # it would fail again the same way (or is a demo sample): say why
            flash(f"Not retried: {missing.sentence()}", "error")
            return redirect(url_for(".index"))
        try:
            new = control.retry(uuid_or_404(run_id), actor_id=current_user.id)
            flash(f"Retry started as run {new.id}.", "success")
        except (control.JobStateError, JobAlreadyRunning, JobsUnavailable) as exc:
            flash(f"Not retried: {exc}", "error")
        return redirect(url_for(".index"))

    @expose("/<run_id>/cancel", methods=["POST"])
    def cancel(self, run_id):
        try:
            control.cancel(uuid_or_404(run_id), actor_id=current_user.id)
            flash("Run cancelled.", "success")
        except control.JobStateError as exc:
            flash(f"Not cancelled: {exc}", "error")
        return redirect(url_for(".index"))

    @expose("/start/<kind>", methods=["POST"])
    def start(self, kind):
        starter = STARTERS.get(kind) or abort(404)
        missing = readiness.missing_for(kind, db.session, current_app.config)
        if missing:  # the run could only fail: refused with the words of the disabled button
            flash(f"Not started: {missing.sentence()}", "error")
            return redirect(url_for(".index"))
        try:
            run = starter(actor_id=current_user.id)
            flash(f"Started run {run.id}.", "success")
        except (JobAlreadyRunning, JobsUnavailable) as exc:
            flash(f"Not started: {exc}", "error")
        return redirect(url_for(".index"))


def register(admin) -> None:
    """Add the Jobs page under Admin."""
    admin.add_view(JobsView(name="Jobs", endpoint="jobs", url="jobs", category=CATEGORY))
