"""What a planner reads of a result: the facts a table or a report shows, and the report."""
