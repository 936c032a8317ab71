from mechtms.cli import main

main()
