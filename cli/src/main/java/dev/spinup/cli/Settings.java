package dev.spinup.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * Where the CLI connects and with what, each setting from the first of: its flag, its environment
 * variable, the config file. The config file is --config, else SPINUP_CONFIG, else
 * ~/.config/spinup/cli.conf ($XDG_CONFIG_HOME), else the dev data directory's cli.conf
 * (SPINUP_DATA_DIR, else the nearest .spinup/ from here up), which {@code ./spinup dev} writes: so
 * with no settings at all the CLI talks to the local dev control plane.
 *
 * <p>The file holds {@code key = value} lines: server, ca, token, token-file; a relative path in
 * it is relative to the file.
 */
record Settings(String server, Optional<Path> ca, Optional<String> token, String source) {
    static final String DEFAULT_SERVER = "localhost:8443";
    private static final Set<String> KEYS = Set.of("server", "ca", "token", "token-file");

    static Settings resolve(Main flags, Map<String, String> env, Path cwd) {
        Optional<Path> file = configFile(flags, env, cwd);
        Properties conf = file.map(Settings::read).orElseGet(Properties::new);
        Path base = file.map(f -> f.toAbsolutePath().getParent()).orElse(cwd);
        String server = first(flags.server, env.get("SPINUP_SERVER"), conf.getProperty("server"));
        Optional<Path> ca = Optional.ofNullable(flags.ca)
                .or(() -> Optional.ofNullable(env.get("SPINUP_CA")).map(Path::of))
                .or(() -> Optional.ofNullable(conf.getProperty("ca")).map(base::resolve));
        Optional<String> token = Optional.ofNullable(flags.token)
                .or(() -> Optional.ofNullable(flags.tokenFile).map(Settings::readToken))
                .or(() -> Optional.ofNullable(env.get("SPINUP_TOKEN")))
                .or(() -> Optional.ofNullable(env.get("SPINUP_TOKEN_FILE"))
                        .map(Path::of)
                        .map(Settings::readToken))
                .or(() -> Optional.ofNullable(conf.getProperty("token")))
                .or(() -> Optional.ofNullable(conf.getProperty("token-file"))
                        .map(base::resolve)
                        .map(Settings::readToken));
        return new Settings(
                server == null ? DEFAULT_SERVER : server,
                ca,
                token,
                file.map(Path::toString).orElse("no config file"));
    }

    private static Optional<Path> configFile(Main flags, Map<String, String> env, Path cwd) {
        if (flags.config != null) {
            return Optional.of(mustExist(flags.config, "--config"));
        }
        if (env.get("SPINUP_CONFIG") != null) {
            return Optional.of(mustExist(Path.of(env.get("SPINUP_CONFIG")), "SPINUP_CONFIG"));
        }
        String xdg = env.get("XDG_CONFIG_HOME");
        Path home = xdg != null ? Path.of(xdg) : env.get("HOME") == null ? null : Path.of(env.get("HOME"), ".config");
        if (home != null && Files.isRegularFile(home.resolve("spinup/cli.conf"))) {
            return Optional.of(home.resolve("spinup/cli.conf"));
        }
        if (env.get("SPINUP_DATA_DIR") != null) {
            Path dev = Path.of(env.get("SPINUP_DATA_DIR"), "cli.conf");
            return Files.isRegularFile(dev) ? Optional.of(dev) : Optional.empty();
        }
        for (Path dir = cwd.toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path dev = dir.resolve(".spinup/cli.conf");
            if (Files.isRegularFile(dev)) {
                return Optional.of(dev);
            }
        }
        return Optional.empty();
    }

    private static Path mustExist(Path file, String from) {
        if (!Files.isRegularFile(file)) {
            throw new Failures.BadSetting(from + " names " + file + ", which is not a readable file");
        }
        return file;
    }

    private static Properties read(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        } catch (IOException e) {
            throw new Failures.BadSetting("cannot read the config file " + file + ": " + e.getMessage());
        }
        Set<String> unknown = new TreeSet<>(p.stringPropertyNames());
        unknown.removeAll(KEYS);
        if (!unknown.isEmpty()) {
            throw new Failures.BadSetting(file + ": unknown key " + String.join(", ", unknown) + " (known: "
                    + String.join(", ", new TreeSet<>(KEYS)) + ")");
        }
        return p;
    }

    private static String readToken(Path file) {
        try {
            String token = Files.readString(file).strip();
            if (token.isEmpty()) {
                throw new Failures.BadSetting("the token file " + file + " is empty");
            }
            return token;
        } catch (IOException e) {
            throw new Failures.BadSetting("cannot read the token file " + file + ": " + e.getMessage());
        }
    }

    @SafeVarargs
    private static <T> T first(T... values) {
        for (T v : values) {
            if (v != null) {
                return v;
            }
        }
        return null;
    }
}
