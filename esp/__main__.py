from esp.cli import main

main()
