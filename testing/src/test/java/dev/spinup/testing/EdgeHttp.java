package dev.spinup.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Requests to a host's edge as a browser sends them after DNS: to the edge's address, with the
 * URL's name in the Host header. Redirects are not followed, so a test sees each answer.
 */
final class EdgeHttp {
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private EdgeHttp() {}

    /** GET {@code url} (e.g. a grant's URL) through the edge at {@code edgeAddress}, with {@code cookie} if not null. */
    static HttpResponse<String> get(String edgeAddress, String url, String cookie) {
        URI u = URI.create(url);
        String pathAndQuery = (u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath())
                + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + edgeAddress + pathAndQuery))
                .header("Host", u.getHost())
                .timeout(Duration.ofSeconds(10));
        if (cookie != null) {
            request.header("Cookie", cookie);
        }
        try {
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError("GET " + url + " via " + edgeAddress + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The cookie a Set-Cookie header sets, as a browser sends it back ({@code name=value}). */
    static String cookieOf(HttpResponse<?> response) {
        String set = response.headers()
                .firstValue("set-cookie")
                .orElseThrow(() -> new AssertionError("no Set-Cookie in a " + response.statusCode() + " answer"));
        return set.substring(0, set.indexOf(';'));
    }
}
