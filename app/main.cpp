#include <iostream>

#include "app/cli.hpp"

int main(int argc, char** argv) { return almanac::app::run_cli(argc, argv, std::cout, std::cerr); }
