from gclint.cli import main

raise SystemExit(main())
