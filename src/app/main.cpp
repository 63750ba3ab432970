// main.cpp - entry point: hands argv to the command dispatcher.
#include "app/commands.h"

int main(int argc, char** argv) { return sm::app::main(argc, argv); }
