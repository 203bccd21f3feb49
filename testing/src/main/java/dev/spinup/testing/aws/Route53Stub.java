package dev.spinup.testing.aws;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * A test fixture, never production code: a wire-level stand-in for Route 53's REST-XML API on
 * loopback (ChangeResourceRecordSets and ListResourceRecordSets of one hosted zone), for the real
 * AWS SDK client pointed at it. It keeps Route 53's rules for a change batch: applied whole or not
 * at all; CREATE of a record set that exists, DELETE of one that does not exist exactly (same TTL
 * and values), a CNAME beside another type at one name, and a name outside the zone refuse the
 * batch with InvalidChangeBatch. Every change batch is recorded; the next calls can be made to
 * answer HTTP 400 Throttling.
 */
public final class Route53Stub implements AutoCloseable {
    private static final String NS = "https://route53.amazonaws.com/doc/2013-04-01/";

    /** One record set: name (absolute, lower case), type, TTL and values. */
    public record RecordSet(String name, String type, long ttl, List<String> values) {}

    /** One change of a batch as received. */
    public record Change(String action, RecordSet set) {}

    private final HttpServer server;
    private final String zoneId;
    private final String zone;
    /** name → type → set, by name. */
    private final Map<String, Map<String, RecordSet>> records = new TreeMap<>();

    private final List<List<Change>> batches = new CopyOnWriteArrayList<>();
    private final AtomicInteger refused = new AtomicInteger();
    private final AtomicInteger throttleNext = new AtomicInteger();
    private final AtomicInteger throttled = new AtomicInteger();

    public Route53Stub(String zoneId, String zone) {
        this.zoneId = zoneId;
        this.zone = absolute(zone);
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", this::handle);
        server.start();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** The next {@code n} calls answer HTTP 400 Throttling (the SDK retries them). */
    public void throttleNext(int n) {
        throttleNext.set(n);
    }

    public int throttled() {
        return throttled.get();
    }

    /** Change batches refused with InvalidChangeBatch. */
    public int refused() {
        return refused.get();
    }

    /** Every change batch received, refused ones too, in order. */
    public List<List<Change>> batches() {
        return List.copyOf(batches);
    }

    /** What the zone holds at {@code name} (any letter case, with or without the final dot), by type. */
    public synchronized Map<String, RecordSet> at(String name) {
        return Map.copyOf(records.getOrDefault(absolute(name), Map.of()));
    }

    /** Puts a record set in the zone directly, as another hand on the console would. */
    public synchronized void put(RecordSet set) {
        records.computeIfAbsent(set.name(), n -> new TreeMap<>()).put(set.type(), set);
    }

    /** Removes a name from the zone directly. */
    public synchronized void remove(String name) {
        records.remove(absolute(name));
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        byte[] body = exchange.getRequestBody().readAllBytes();
        if (throttleNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throttled.incrementAndGet();
            respond(exchange, 400, error("Throttling", "Rate exceeded"));
            return;
        }
        String rrset = "/2013-04-01/hostedzone/" + zoneId + "/rrset";
        if (!path.equals(rrset) && !path.equals(rrset + "/")) {
            respond(exchange, 404, error("NoSuchHostedZone", "No hosted zone found with ID: " + path));
            return;
        }
        try {
            if (exchange.getRequestMethod().equals("POST")) {
                change(exchange, body);
            } else {
                list(exchange);
            }
        } catch (Exception e) {
            respond(exchange, 400, error("InvalidInput", String.valueOf(e.getMessage())));
        }
    }

    private void change(HttpExchange exchange, byte[] body) throws Exception {
        var doc = DocumentBuilderFactory.newDefaultNSInstance()
                .newDocumentBuilder()
                .parse(new ByteArrayInputStream(body));
        List<Change> batch = new ArrayList<>();
        NodeList changes = doc.getElementsByTagNameNS(NS, "Change");
        for (int i = 0; i < changes.getLength(); i++) {
            Element c = (Element) changes.item(i);
            Element set =
                    (Element) c.getElementsByTagNameNS(NS, "ResourceRecordSet").item(0);
            List<String> values = new ArrayList<>();
            NodeList vs = set.getElementsByTagNameNS(NS, "Value");
            for (int j = 0; j < vs.getLength(); j++) {
                values.add(vs.item(j).getTextContent());
            }
            batch.add(new Change(
                    text(c, "Action"),
                    new RecordSet(
                            absolute(text(set, "Name")),
                            text(set, "Type"),
                            Long.parseLong(text(set, "TTL")),
                            List.copyOf(values))));
        }
        batches.add(List.copyOf(batch));
        String problem = apply(batch);
        if (problem != null) {
            refused.incrementAndGet();
            respond(exchange, 400, error("InvalidChangeBatch", problem));
            return;
        }
        respond(
                exchange,
                200,
                "<ChangeResourceRecordSetsResponse xmlns=\"" + NS + "\"><ChangeInfo><Id>/change/C" + batches.size()
                        + "</Id><Status>INSYNC</Status><SubmittedAt>" + java.time.Instant.now()
                        + "</SubmittedAt></ChangeInfo></ChangeResourceRecordSetsResponse>");
    }

    /** Applies the batch whole, or returns why Route 53 would refuse it (and changes nothing). */
    private synchronized String apply(List<Change> batch) {
        Map<String, Map<String, RecordSet>> next = new TreeMap<>();
        records.forEach((name, sets) -> next.put(name, new TreeMap<>(sets)));
        for (Change c : batch) {
            RecordSet s = c.set();
            if (!s.name().equals(zone) && !s.name().endsWith("." + zone)) {
                return "RRSet with DNS name " + s.name() + " is not permitted in zone " + zone;
            }
            Map<String, RecordSet> at = next.computeIfAbsent(s.name(), n -> new TreeMap<>());
            String which = "[name='" + s.name() + "', type='" + s.type() + "']";
            switch (c.action()) {
                case "CREATE" -> {
                    if (at.containsKey(s.type())) {
                        return "Tried to create resource record set " + which + " but it already exists";
                    }
                    at.put(s.type(), s);
                }
                case "DELETE" -> {
                    if (!at.containsKey(s.type())) {
                        return "Tried to delete resource record set " + which + " but it was not found";
                    }
                    if (!at.get(s.type()).equals(s)) {
                        return "Tried to delete resource record set " + which
                                + " but the values provided do not match the current values";
                    }
                    at.remove(s.type());
                }
                case "UPSERT" -> at.put(s.type(), s);
                default -> {
                    return "Invalid action " + c.action();
                }
            }
        }
        for (var e : next.entrySet()) {
            if (e.getValue().containsKey("CNAME") && e.getValue().size() > 1) {
                return "RRSet of type CNAME with DNS name " + e.getKey()
                        + " is not permitted as it conflicts with other records with the same DNS name in zone "
                        + zone;
            }
        }
        next.values().removeIf(Map::isEmpty);
        records.clear();
        records.putAll(next);
        return null;
    }

    /** The record sets from {@code name} on, in name order, up to {@code maxitems}. */
    private void list(HttpExchange exchange) throws IOException {
        Map<String, String> q = query(exchange.getRequestURI().getRawQuery());
        String from = absolute(q.getOrDefault("name", zone));
        int max = Integer.parseInt(q.getOrDefault("maxitems", "100"));
        List<RecordSet> sets = new ArrayList<>();
        synchronized (this) {
            records.forEach((name, byType) -> {
                if (name.compareTo(from) >= 0) {
                    sets.addAll(byType.values());
                }
            });
        }
        StringBuilder xml =
                new StringBuilder("<ListResourceRecordSetsResponse xmlns=\"" + NS + "\"><ResourceRecordSets>");
        for (RecordSet s : sets.subList(0, Math.min(max, sets.size()))) {
            xml.append("<ResourceRecordSet><Name>")
                    .append(s.name())
                    .append("</Name><Type>")
                    .append(s.type())
                    .append("</Type><TTL>")
                    .append(s.ttl())
                    .append("</TTL><ResourceRecords>");
            s.values()
                    .forEach(
                            v -> xml.append("<ResourceRecord><Value>").append(v).append("</Value></ResourceRecord>"));
            xml.append("</ResourceRecords></ResourceRecordSet>");
        }
        xml.append("</ResourceRecordSets><IsTruncated>")
                .append(sets.size() > max)
                .append("</IsTruncated><MaxItems>")
                .append(max)
                .append("</MaxItems></ListResourceRecordSetsResponse>");
        respond(exchange, 200, xml.toString());
    }

    private static String text(Element parent, String tag) {
        return parent.getElementsByTagNameNS(NS, tag).item(0).getTextContent();
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new LinkedHashMap<>();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                String[] kv = pair.split("=", 2);
                q.put(
                        URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
                        kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
            }
        }
        return q;
    }

    private static String absolute(String name) {
        String lower = name.toLowerCase(java.util.Locale.ROOT);
        return lower.endsWith(".") ? lower : lower + ".";
    }

    private static String error(String code, String message) {
        return "<ErrorResponse xmlns=\"" + NS + "\"><Error><Type>Sender</Type><Code>" + code + "</Code><Message>"
                + message.replace("&", "&amp;").replace("<", "&lt;") + "</Message></Error><RequestId>stub</RequestId>"
                + "</ErrorResponse>";
    }

    private static void respond(HttpExchange exchange, int status, String xml) throws IOException {
        byte[] bytes = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + xml).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/xml");
        exchange.getResponseHeaders().set("x-amzn-RequestId", "stub");
        exchange.sendResponseHeaders(status, bytes.length);
        try (var out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
