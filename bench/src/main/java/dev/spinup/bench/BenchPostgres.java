package dev.spinup.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import picocli.CommandLine.Option;

/** The Postgres server a benchmark runs on (a picocli mixin): each run makes its own databases and drops them. */
final class BenchPostgres {
    @Option(
            names = "--postgres",
            defaultValue = "${env:SPINUP_BENCH_POSTGRES:-jdbc:postgresql://127.0.0.1:5432/postgres}",
            description =
                    "Admin connection to the Postgres server to use; databases are created and dropped (default: ${DEFAULT-VALUE}).")
    String admin;

    @Option(
            names = "--user",
            defaultValue = "${env:SPINUP_BENCH_PGUSER:-postgres}",
            description = "Its user (default: ${DEFAULT-VALUE}).")
    String user;

    /** A database of the run's own, dropped (with its connections) when closed. */
    final class Scratch implements AutoCloseable {
        private final String name;

        private Scratch(String name) {
            this.name = name;
        }

        String url() {
            return admin.replaceFirst("/[^/?]*(\\?|$)", "/" + name + "$1");
        }

        @Override
        public void close() throws SQLException {
            execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        }
    }

    /** Creates database {@code name} (letters, digits and underscores). */
    Scratch create(String name) throws SQLException {
        if (!name.matches("[a-z0-9_]+")) {
            throw new IllegalArgumentException("not a database name: " + name);
        }
        execute("CREATE DATABASE " + name);
        return new Scratch(name);
    }

    private void execute(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(admin, user, null)) {
            c.createStatement().execute(sql);
        }
    }
}
