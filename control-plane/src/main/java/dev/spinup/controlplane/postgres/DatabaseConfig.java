package dev.spinup.controlplane.postgres;

import static java.util.Objects.requireNonNull;

/** Where the database is. {@code jdbcUrl} is a {@code jdbc:postgresql://} URL. */
public record DatabaseConfig(String jdbcUrl, String user, String password, int maxPoolSize) {
    public DatabaseConfig {
        requireNonNull(jdbcUrl, "jdbcUrl");
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("only PostgreSQL is supported, got " + jdbcUrl);
        }
        if (maxPoolSize < 2) {
            throw new IllegalArgumentException("maxPoolSize must be at least 2");
        }
    }

    /**
     * Accepts the libpq form ({@code postgres://user:pass@host:port/db}) that DATABASE_URL usually
     * holds, as well as a JDBC URL.
     */
    public static DatabaseConfig fromUrl(String url, int maxPoolSize) {
        if (url.startsWith("jdbc:")) {
            return new DatabaseConfig(url, null, null, maxPoolSize);
        }
        java.net.URI uri = java.net.URI.create(url);
        if (!"postgres".equals(uri.getScheme()) && !"postgresql".equals(uri.getScheme())) {
            throw new IllegalArgumentException("DATABASE_URL must be postgres://... or jdbc:postgresql://...");
        }
        String user = null;
        String password = null;
        if (uri.getRawUserInfo() != null) {
            String[] parts = uri.getRawUserInfo().split(":", 2);
            user = java.net.URLDecoder.decode(parts[0], java.nio.charset.StandardCharsets.UTF_8);
            if (parts.length > 1) {
                password = java.net.URLDecoder.decode(parts[1], java.nio.charset.StandardCharsets.UTF_8);
            }
        }
        String hostPort = uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
        String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
        return new DatabaseConfig(
                "jdbc:postgresql://" + hostPort + uri.getRawPath() + query, user, password, maxPoolSize);
    }
}
