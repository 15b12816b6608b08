"""Drafting a report: `draft.draft_report` builds the `Report` (the official `tables`, the
narrative from the `offline` drafter or a configured model through `llmdraft`);
`redraft` replaces one part of an edited Word document, `revise` rewrites one part by
an editor's instruction.
"""
