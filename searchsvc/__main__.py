from searchsvc.cli import main

main(prog_name="searchsvc")
