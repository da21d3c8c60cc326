print("flowtap 0.1.0")
