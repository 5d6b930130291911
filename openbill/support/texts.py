"""The support app's stored texts (see openbill.core.texts)."""

from django.utils.translation import gettext_lazy as _

from openbill.core.texts import Template, register

register(
    Template("abuse_over_limit", _("Abuse score over the limit")),
    Template("abuse_resolved", _("Abuse resolved")),
    Template("abuse_deadline", _("Abuse report not corrected by its deadline")),
    # Messages the system writes into a ticket (Message.body_kind).
    Template(
        "abuse_report",
        _("%(description)s\n\nPlease correct this by %(deadline)s and reply to this ticket."),
        datetimes=("deadline",),
    ),
    Template(
        "abuse_report_evidence",
        _(
            "%(description)s\n\nEvidence:\n%(evidence)s\n\nPlease correct this by %(deadline)s and reply to this ticket."
        ),
        datetimes=("deadline",),
    ),
    Template("abuse_report_resolved", _("The abuse report was resolved.")),
    Template("abuse_forwarded", _("The correction deadline passed; forwarded to support.")),
    Template("abuse_services_suspended", _("The correction deadline passed; the services were suspended.")),
    # The subject of an abuse report's ticket (Ticket.subject_kind).
    Template("abuse_subject", _("Abuse report")),
    Template("abuse_subject_service", _("Abuse report: %(service)s")),
    # ``subject``: the merged ticket's subject as a fact (a list of one Text); a string (rows
    # written before) is shown as it is.
    Template("ticket_merged", _("Ticket #%(id)s (%(subject)s) was merged into this one."), texts=("subject",)),
)

# The kinds a ticket's subject may have (the data migration reads only these back).
SUBJECT_KINDS = ("abuse_subject", "abuse_subject_service")

# The kinds a ticket's message may have (the data migration reads only these back).
MESSAGE_KINDS = (
    "abuse_report",
    "abuse_report_evidence",
    "abuse_report_resolved",
    "abuse_forwarded",
    "abuse_services_suspended",
    "ticket_merged",
)
