package dev.spinup.agent.drivers;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;

/** Whether a workspace's app answers: any HTTP status below 500 on {@code /} of a loopback port. */
public final class AppProbe {
    private AppProbe() {}

    public static boolean answers(int port) {
        try {
            HttpURLConnection c = (HttpURLConnection)
                    URI.create("http://127.0.0.1:" + port + "/").toURL().openConnection();
            c.setConnectTimeout(500);
            c.setReadTimeout(2000);
            int status = c.getResponseCode();
            c.disconnect();
            return status < 500;
        } catch (IOException notYet) {
            return false;
        }
    }
}
