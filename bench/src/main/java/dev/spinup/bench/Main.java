package dev.spinup.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** SpinUp's benchmarks: each prints a table next to a baseline taken in the same run and writes JSON to bench/results/. */
@Command(
        name = "spinup-bench",
        mixinStandardHelpOptions = true,
        subcommands = {
            EdgeApplyBench.class,
            EngineBench.class,
            VmBootBench.class,
            PlacementBench.class,
            CreateActiveBench.class,
            FanInBench.class,
            IdeReadyBench.class,
            ScaleUpBench.class,
            RecoverBench.class
        },
        description = "Benchmarks. Each scenario measures SpinUp next to a baseline in the same run.")
public final class Main implements Runnable {
    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
