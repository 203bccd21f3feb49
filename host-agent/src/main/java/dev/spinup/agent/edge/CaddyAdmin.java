package dev.spinup.agent.edge;

import dev.spinup.agent.drivers.DriverException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Caddy's admin API: load a whole config, and ask whether a config (by its {@code @id}) is the one running. */
final class CaddyAdmin {
    private final URI admin;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    CaddyAdmin(String adminListen) {
        this.admin = URI.create("http://" + adminListen);
    }

    @Override
    public String toString() {
        return admin.toString();
    }

    /** POST /load, then check that Caddy reports {@code id} (the config's server {@code @id}). */
    void load(String config, String id) throws DriverException {
        try {
            HttpResponse<String> loaded = http.send(
                    HttpRequest.newBuilder(admin.resolve("/load"))
                            .timeout(Duration.ofSeconds(60))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(config))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (loaded.statusCode() != 200) {
                throw new DriverException(
                        "edge_rejected",
                        "Caddy refused config " + id + " (HTTP " + loaded.statusCode() + "): "
                                + abbreviate(loaded.body()));
            }
            if (!has(id)) {
                throw new DriverException(
                        "edge_not_applied", "Caddy accepted config " + id + " but does not report it as loaded");
            }
        } catch (IOException e) {
            throw new DriverException("edge_unreachable", "Caddy's admin API at " + admin + " did not answer: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DriverException("interrupted", "interrupted while loading the edge config", e);
        }
    }

    boolean has(String id) throws IOException, InterruptedException {
        return http.send(
                                HttpRequest.newBuilder(admin.resolve("/id/" + id))
                                        .timeout(Duration.ofSeconds(10))
                                        .GET()
                                        .build(),
                                HttpResponse.BodyHandlers.discarding())
                        .statusCode()
                == 200;
    }

    boolean answers() {
        try {
            return http.send(
                                    HttpRequest.newBuilder(admin.resolve("/config/"))
                                            .timeout(Duration.ofSeconds(2))
                                            .GET()
                                            .build(),
                                    HttpResponse.BodyHandlers.discarding())
                            .statusCode()
                    == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 500 ? s.substring(0, 500) + "…" : s;
    }
}
