fn main() {
    std::process::exit(sairen::cli::main());
}
