from esp.entry import main

main()
