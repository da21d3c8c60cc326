// FlowTapUI: the curses inspector (issue 5).
