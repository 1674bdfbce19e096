from gclint.entry import main

raise SystemExit(main())
