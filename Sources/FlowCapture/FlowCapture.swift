// FlowCapture: module under construction; see DESIGN.md §1.
