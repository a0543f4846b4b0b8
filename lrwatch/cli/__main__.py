from lrwatch.cli import main

main()
