from piiscan.cli import main

main()
