"""The priority pack's file format: the names its writer (:mod:`acctdesk.export.pack`) puts in
the workbook and its reader (:mod:`acctdesk.importers.pack_roundtrip`) looks for."""
from __future__ import annotations

#: workbook custom property set on every priority pack (its value: :data:`PACK_VERSION`)
MARKER_PROPERTY = "acctdesk_pack"
PACK_VERSION = "1"
#: hidden sheet holding the exported values of the editable columns
MARKER_SHEET = "acctdesk"
WORKLIST_SHEET = "Worklist"
#: the Worklist's editable columns: header title -> field name used in the marker sheet.
EDITABLE_COLUMNS = {"Owner": "owner", "Status": "status", "Next step": "next_step",
                    "Notes": "notes"}
#: values offered in the Worklist's Status drop-down (others are accepted with a warning).
STATUS_CHOICES = ("Open", "In progress", "Waiting on customer", "Done", "Snoozed")
