from gogaek.cli import main

main()
