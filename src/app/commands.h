// commands.h - the `securemail` command line: subcommands and exit codes
// (0 success, 1 the operation failed, 2 bad usage or bad config).
#pragma once

namespace sm::app {
int main(int argc, char** argv);
}
