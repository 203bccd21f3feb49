package dev.spinup.api;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every setting of SpinUp's processes from the first of: its flag, its environment variable, its
 * key in the config file, its built-in default. An option names its variable in its default
 * ({@code defaultValue = "${env:SPINUP_GRPC_PORT:-8443}"}); the config file holds the same names
 * as {@code NAME=value} lines (an environment file, as systemd reads them too). The file is
 * {@code SPINUP_CONFIG_FILE}, else {@code /etc/spinup/<component>.conf} when it exists; a name in
 * it that no setting has fails the start with that name. Settings without a flag (secrets such as
 * SPINUP_S3_SECRET_KEY) are read with {@link #get}.
 *
 * <p>A bad value is one line on stderr naming the option, where its value came from and why it
 * is bad, and exit code 2: never a stack trace.
 */
public final class Settings implements CommandLine.IDefaultValueProvider {
    private static final Pattern ENV = Pattern.compile("\\$\\{env:([A-Z0-9_]+)(?::-(.*))?}");
    private final Map<String, String> env;
    private final Map<String, String> file;
    private final Optional<Path> source;
    private final Set<String> extraNames;
    private final Map<ArgSpec, String> origins = new HashMap<>();

    private Settings(Map<String, String> env, Map<String, String> file, Optional<Path> source, Set<String> extraNames) {
        this.env = env;
        this.file = file;
        this.source = source;
        this.extraNames = extraNames;
    }

    /** The settings of {@code component} ("control-plane", "host-agent"), from this process's environment. */
    public static Settings load(String component, Set<String> extraNames) {
        return load(component, System.getenv(), extraNames);
    }

    /** The settings of {@code component} from {@code env} (a test's own environment). */
    public static Settings load(String component, Map<String, String> env, Set<String> extraNames) {
        Path path = env.containsKey("SPINUP_CONFIG_FILE")
                ? Path.of(env.get("SPINUP_CONFIG_FILE"))
                : Path.of("/etc/spinup", component + ".conf");
        boolean named = env.containsKey("SPINUP_CONFIG_FILE");
        if (!Files.isRegularFile(path)) {
            if (named) {
                throw new CommandLine.InitializationException(
                        "SPINUP_CONFIG_FILE names " + path + ", which is not a readable file");
            }
            return new Settings(env, Map.of(), Optional.empty(), extraNames);
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(path)) {
            p.load(r);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the config file " + path, e);
        }
        Map<String, String> values = new LinkedHashMap<>();
        p.stringPropertyNames().forEach(k -> values.put(k, unquote(p.getProperty(k))));
        return new Settings(env, values, Optional.of(path), extraNames);
    }

    /**
     * Loads the settings of {@code component} and runs {@code command} with them: its exit code;
     * a bad config file, flag or value is one line on stderr and 2.
     */
    public static int run(String component, Set<String> extraNames, Object command, String[] args) {
        try {
            Settings settings = load(component, extraNames);
            current = settings;
            return settings.execute(command, args);
        } catch (CommandLine.InitializationException | UncheckedIOException e) {
            System.err.println(component + ": " + e.getMessage());
            return 2;
        }
    }

    private static volatile Settings current = new Settings(System.getenv(), Map.of(), Optional.empty(), Set.of());

    /** The settings {@link #run} loaded (the environment alone before it ran). */
    public static Settings current() {
        return current;
    }

    /** Runs {@code command} with these settings: the exit code, with one-line errors. */
    public int execute(Object command, String[] args) {
        return execute(command, args, new java.io.PrintWriter(System.err, true));
    }

    /** As above, errors going to {@code err}. */
    public int execute(Object command, String[] args, java.io.PrintWriter err) {
        CommandLine cli = new CommandLine(command).setDefaultValueProvider(this).setErr(err);
        cli.setParameterExceptionHandler((e, given) -> {
            String origin = e.getArgSpec() == null ? null : origins.get(e.getArgSpec());
            e.getCommandLine()
                    .getErr()
                    .println(e.getCommandLine().getCommandName() + ": " + e.getMessage()
                            + (origin == null ? "" : " (from " + origin + ")") + " (see: "
                            + e.getCommandLine().getCommandSpec().qualifiedName() + " --help)");
            return 2;
        });
        try {
            checkNames(cli.getCommandSpec());
        } catch (CommandLine.InitializationException e) {
            err.println(cli.getCommandName() + ": " + e.getMessage());
            return 2;
        }
        return cli.execute(args);
    }

    /** The {@code --log-format} option every process has (a mixin). */
    public static final class LogFormatOption {
        /** How log lines are written. */
        public enum Format {
            logfmt,
            json
        }

        @CommandLine.Option(
                names = "--log-format",
                scope = CommandLine.ScopeType.INHERIT,
                defaultValue = "${env:SPINUP_LOG_FORMAT:-logfmt}",
                description =
                        "Log lines as logfmt (time LEVEL [thread] Logger key=value …) or json (one object a line, every key a field).")
        public Format logFormat;
    }

    /**
     * Chooses the log format before anything logs (logback reads it once, from the system
     * property spinup.log.format): the {@code --log-format} argument, else SPINUP_LOG_FORMAT from
     * the environment, else from the config file. A value that is neither is left for the option's
     * own check to refuse, with one line.
     */
    public static void configureLogFormat(String component, String[] args) {
        String chosen = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].startsWith("--log-format=")) {
                chosen = args[i].substring("--log-format=".length());
            } else if (args[i].equals("--log-format") && i + 1 < args.length) {
                chosen = args[i + 1];
            }
        }
        if (chosen == null) {
            try {
                chosen = load(component, Set.of()).get("SPINUP_LOG_FORMAT").orElse(null);
            } catch (RuntimeException e) {
                chosen = null; // run() reports a config file it cannot read
            }
        }
        if ("json".equals(chosen) || "logfmt".equals(chosen)) {
            System.setProperty("spinup.log.format", chosen);
        }
    }

    /** A setting with no flag: the environment's value, else the config file's. */
    public Optional<String> get(String name) {
        return Optional.ofNullable(env.get(name)).or(() -> Optional.ofNullable(file.get(name)));
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        String original = annotated(arg);
        if (original == null) {
            return null;
        }
        Matcher m = ENV.matcher(original);
        if (!m.matches()) {
            return null;
        }
        String name = m.group(1);
        if (env.containsKey(name)) {
            origins.put(arg, "environment variable " + name);
            return env.get(name);
        }
        if (file.containsKey(name)) {
            origins.put(arg, source.orElseThrow() + ": " + name);
            return file.get(name);
        }
        return m.group(2);
    }

    /** The config file must not name a setting nobody has: a typo would be silently ignored. */
    private void checkNames(CommandSpec root) {
        if (file.isEmpty()) {
            return;
        }
        Set<String> known = new TreeSet<>(extraNames);
        known.add("SPINUP_CONFIG_FILE");
        for (Row row : rows(root)) {
            known.add(row.variable());
        }
        for (String name : file.keySet()) {
            if (!known.contains(name)) {
                throw new CommandLine.InitializationException(source.orElseThrow() + ": " + name
                        + " is not a setting of " + root.name() + " (they are: " + String.join(", ", known) + ")");
            }
        }
    }

    /** One setting: its flag (with the commands that have it), variable/config key, default, meaning. */
    public record Row(String flag, String variable, String defaultValue, String description) {}

    /**
     * {@code value} as whole numbers of at least {@code min} separated by {@code separator}, as many
     * as {@code shape} names ({@code vcpu,ram_gb,disk_gb}, {@code first-last}); otherwise a usage
     * error naming the option, its shape and the value.
     */
    public static int[] numbers(
            picocli.CommandLine cl, String option, String value, String separator, String shape, int min) {
        String[] parts = value.split(java.util.regex.Pattern.quote(separator), -1);
        int expected = shape.split(java.util.regex.Pattern.quote(separator)).length;
        int[] numbers = new int[parts.length];
        try {
            if (parts.length != expected) {
                throw new NumberFormatException();
            }
            for (int i = 0; i < parts.length; i++) {
                numbers[i] = Integer.parseInt(parts[i].trim());
                if (numbers[i] < min) {
                    throw new NumberFormatException();
                }
            }
        } catch (NumberFormatException e) {
            throw new picocli.CommandLine.ParameterException(
                    cl,
                    option + " must be " + shape + " (" + expected + " whole numbers of at least " + min + "), not \""
                            + value + "\"");
        }
        return numbers;
    }

    /** Every setting of {@code root} and its subcommands that names its variable, in order. */
    public static List<Row> rows(CommandSpec root) {
        Map<String, Row> rows = new LinkedHashMap<>();
        collect(root, rows);
        return new ArrayList<>(rows.values());
    }

    private static void collect(CommandSpec spec, Map<String, Row> rows) {
        for (OptionSpec o : spec.options()) {
            String original = annotated(o);
            Matcher m = original == null ? null : ENV.matcher(original);
            if (m != null && m.matches()) {
                // the table has columns for the variable and the default: the description need not say them
                String description = String.join(" ", o.description())
                        .replaceAll("\\s*\\((env [A-Z0-9_]+(, )?)?(default:? [^)]*)?\\)", "")
                        .replaceAll("env [A-Z0-9_]+, ", "")
                        .replaceAll(";\\s*env [A-Z0-9_]+\\)", ")")
                        .replaceAll("\\s*Default: \\S+\\.", "")
                        .strip();
                rows.putIfAbsent(
                        m.group(1),
                        new Row(o.longestName(), m.group(1), m.group(2) == null ? "" : m.group(2), description));
            }
        }
        spec.subcommands().values().forEach(sub -> collect(sub.getCommandSpec(), rows));
    }

    /** The rows as the README's Markdown table. */
    public static String markdown(CommandSpec root) {
        StringBuilder b = new StringBuilder(
                "| flag | environment variable and config-file key | default | meaning |\n|---|---|---|---|\n");
        for (Row r : rows(root)) {
            b.append("| `")
                    .append(r.flag())
                    .append("` | `")
                    .append(r.variable())
                    .append("` | ")
                    .append(r.defaultValue().isEmpty() ? "—" : "`" + r.defaultValue() + "`")
                    .append(" | ")
                    .append(r.description().replace("|", "\\|"))
                    .append(" |\n");
        }
        return b.toString();
    }

    /** The option's default as written in its annotation, before picocli interpolates it. */
    private static String annotated(ArgSpec arg) {
        if (arg.userObject() instanceof java.lang.reflect.AnnotatedElement element) {
            CommandLine.Option option = element.getAnnotation(CommandLine.Option.class);
            if (option != null && !option.defaultValue().equals("__no_default_value__")) {
                return option.defaultValue();
            }
        }
        return null;
    }

    private static String unquote(String v) {
        String s = v.strip();
        if (s.length() >= 2 && (s.startsWith("\"") && s.endsWith("\"") || s.startsWith("'") && s.endsWith("'"))) {
            return s.substring(1, s.length() - 1);
        }
        return s;
    }
}
