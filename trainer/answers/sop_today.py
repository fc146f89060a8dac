# Reference answer for exercises/01_sop_today.ipynb: it replaces the ✏️ cell.
# ruff: noqa: F821
# The out-of-stock order comes first: its prep-time notice is overdue AND urgent, which
# beats steps that are more overdue but not urgent (in_transit_notice, satisfaction_followup).
# playbook.todo orders the day the same way, so its first row is the answer.
first = playbook.todo(orders, today).iloc[0]
answer = (first["order_id"], first["step"])
