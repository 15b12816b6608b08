"""Every number of a document's prose checked against the statistics:
`verify.verify_report` (numbers found by `numbers`, their wording read by `wording`, the
document rules of `docrules`); then one line per part (`summary`), Word comments
(`annotate`) and the number marks of the draft page (`provenance`).
"""
