"""Analyses and their versions: the tier table of DESIGN.md §3, as for protocols (an analysis
has no grants, so its controlled tier would serve files to no one and is not offered).

| model           | view                                   | download                         | edit          |
| Analysis        | tier's metadata rule, or editor        | view (not as staff) & tier files | editor        |
| AnalysisVersion | its analysis's view, drafts to editors | same, drafts to editors          | editor, draft |

The rules reuse the shared tier rules of `items.py` (one tier table for every shared kind).
"""

from django.db.models import Q

from apps.access.policy import Action, rule
from apps.access.policy.items import _NotStaff, editor_q, item_files_q, protocol_view_q
from apps.analyses.models import Analysis, AnalysisVersion

# Who sees a protocol's metadata is the tier table's rule for any tiered item of a project
# (`items.protocol_view_q`: staff, the tier's metadata rule, or the project's editors).
analysis_view_q = protocol_view_q


def analysis_download_q(user, prefix: str = "") -> Q:
    return analysis_view_q(_NotStaff(user), prefix) & item_files_q(user, Analysis, prefix)


@rule(Analysis, Action.VIEW)
def analysis_view(user) -> Q:
    return analysis_view_q(user)


@rule(Analysis, Action.DOWNLOAD)
def analysis_download(user) -> Q:
    return analysis_download_q(user)


@rule(Analysis, Action.CONTRIBUTE, Action.EDIT)
def analysis_edit(user) -> Q:
    return editor_q(user, "")


def _not_draft_or_editor(user) -> Q:
    return ~Q(status=AnalysisVersion.Status.DRAFT) | editor_q(user, "analysis__")


@rule(AnalysisVersion, Action.VIEW)
def analysis_version_view(user) -> Q:
    return analysis_view_q(user, "analysis__") & _not_draft_or_editor(user)


@rule(AnalysisVersion, Action.DOWNLOAD)
def analysis_version_download(user) -> Q:
    return analysis_download_q(user, "analysis__") & _not_draft_or_editor(user)


@rule(AnalysisVersion, Action.EDIT)
def analysis_version_edit(user) -> Q:
    return editor_q(user, "analysis__") & Q(status=AnalysisVersion.Status.DRAFT)
