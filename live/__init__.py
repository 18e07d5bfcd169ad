"""The live harness: real sandbox, worker and beat processes, the chaos scenarios and the
fault drill (`make drill`). Shared by the tests (tests/live.py's fixtures), the benchmarks
(bench/) and the drill; it imports the apps, and nothing of tests/ or bench/."""
