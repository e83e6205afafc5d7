"""python -m pressroom_dev.bench"""

import sys

from pressroom_dev.bench.run import main

sys.exit(main())
