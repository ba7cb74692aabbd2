import ArgumentParser

/// `holdfastctl top`: a live view refreshed every second.
struct TopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "top", abstract: "Live view; q or Ctrl-C quits.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Seconds between refreshes.") var interval: Double = 1

    func run() throws {
    }
}
