package dev.spinup.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code spinup}: the operator CLI, a gRPC client of WorkspaceService. The options below are
 * accepted by every command (anywhere after it); connection settings may also come from the
 * environment or a config file (see {@link Settings}).
 */
@Command(
        name = "spinup",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Operate SpinUp: workspaces, operations, the fleet and API tokens.",
        subcommands = {
            WorkspacesCommand.class,
            OpsCommand.class,
            FleetCommand.class,
            TokensCommand.class,
            AutoComplete.GenerateCompletion.class
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success",
            "1:an unexpected error (INTERNAL_ERROR, or no reason given)",
            "2:bad usage: an unknown command or option, a malformed value or config file",
            "3:the request was refused as invalid (INVALID_ARGUMENT reasons)",
            "4:what the request names does not exist (NOT_FOUND reasons)",
            "5:not now: the state does not allow it (FAILED_PRECONDITION, ABORTED, ALREADY_EXISTS)",
            "6:no capacity (RESOURCE_EXHAUSTED: NO_CAPACITY)",
            "7:not allowed: no, a wrong or a revoked token, or a missing scope",
            "8:the control plane could not be reached or did not answer in time",
            "9:the operation waited for ended FAILED or ROLLED_BACK",
            "10:not implemented by this server (NOT_IMPLEMENTED)"
        })
public final class Main implements Runnable {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--server",
            scope = ScopeType.INHERIT,
            paramLabel = "HOST:PORT",
            description = "The control plane's gRPC address (env SPINUP_SERVER, config key server).")
    String server;

    @Option(
            names = "--ca",
            scope = ScopeType.INHERIT,
            paramLabel = "FILE",
            description = "CA certificate (PEM) to trust for the server; default the system's (env SPINUP_CA, key ca).")
    Path ca;

    @Option(
            names = "--token",
            scope = ScopeType.INHERIT,
            paramLabel = "TOKEN",
            description = "API token (env SPINUP_TOKEN, key token).")
    String token;

    @Option(
            names = "--token-file",
            scope = ScopeType.INHERIT,
            paramLabel = "FILE",
            description = "A file holding the API token (env SPINUP_TOKEN_FILE, key token-file).")
    Path tokenFile;

    @Option(
            names = "--config",
            scope = ScopeType.INHERIT,
            paramLabel = "FILE",
            description = "Config file (env SPINUP_CONFIG); default ~/.config/spinup/cli.conf, else the dev"
                    + " data directory's cli.conf (./spinup dev writes it).")
    Path config;

    @Option(
            names = "--json",
            scope = ScopeType.INHERIT,
            description = "Print the API's answer as JSON (proto3 JSON, as grpcurl shows it) instead of a table.")
    boolean json;

    @Option(
            names = "--timeout",
            scope = ScopeType.INHERIT,
            paramLabel = "DURATION",
            converter = Durations.class,
            description = "Deadline of each call (e.g. 30s, 2m; default 30s).")
    Duration timeout = Duration.ofSeconds(30);

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is needed");
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        System.exit(execute(args, out, err));
    }

    /** Runs one command line; what a test or the launcher calls. */
    static int execute(String[] args, PrintWriter out, PrintWriter err) {
        Main main = new Main();
        CommandLine cli = new CommandLine(main);
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, command, parsed) -> Failures.report(e, command.getErr()));
        cli.setParameterExceptionHandler((e, given) -> {
            // one line, and where the usage is, instead of the whole usage
            e.getCommandLine()
                    .getErr()
                    .println("spinup: " + e.getMessage() + " (see: "
                            + e.getCommandLine().getCommandSpec().qualifiedName() + " --help)");
            return Failures.USAGE;
        });
        cli.getCommandSpec().usageMessage().sortOptions(false);
        return cli.execute(args);
    }

    /** The build's version, from the jar's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"spinup " + (v == null ? "(development build)" : v)};
        }
    }

    /** "30s", "2m", "1h", "90d", "500ms", or an ISO-8601 duration. */
    static final class Durations implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            var m = java.util.regex.Pattern.compile("(\\d+)(ms|s|m|h|d)").matcher(value);
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                return switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                };
            }
            try {
                return Duration.parse(value);
            } catch (java.time.format.DateTimeParseException e) {
                throw new CommandLine.TypeConversionException(
                        "'" + value + "' is not a duration (e.g. 30s, 2m, 1h, 90d, 500ms)");
            }
        }
    }
}
