#include "app/cli.hpp"

int main(int argc, char** argv) {
    return beacon::app::run_cli(argc, argv);
}
