#pragma once

namespace corral::cli {

// The `ros` command: parses arguments and runs one verb. Returns the exit code.
int ros_main(int argc, char** argv);

} // namespace corral::cli
