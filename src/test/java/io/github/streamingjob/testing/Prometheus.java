package io.github.streamingjob.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Scrapes Flink's Prometheus reporter: its text format, one sample per line, as a Prometheus server reads it. */
public final class Prometheus {
  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)$");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private Prometheus() {}

  /** One sample: metric name, labels, value. */
  public static final class Sample {
    public final String name;
    public final Map<String, String> labels;
    public final double value;

    Sample(String name, Map<String, String> labels, double value) {
      this.name = name;
      this.labels = labels;
      this.value = value;
    }

    @Override
    public String toString() {
      return name + labels + " " + value;
    }
  }

  /** Every sample of every endpoint that answers ({@code http://127.0.0.1:<port>/metrics}); the others are skipped. */
  public static List<Sample> scrape(List<Integer> ports) {
    List<Sample> all = new ArrayList<>();
    for (int port : ports) {
      try {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          all.addAll(parse(r.body()));
        }
      } catch (IOException e) {
        // nothing listens there (a reporter binds the first free port of its range)
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    return all;
  }

  static List<Sample> parse(String text) {
    List<Sample> samples = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher m = SAMPLE.matcher(line.trim());
      if (!m.matches()) {
        continue;
      }
      Map<String, String> labels = new LinkedHashMap<>();
      if (m.group(3) != null) {
        Matcher l = LABEL.matcher(m.group(3));
        while (l.find()) {
          labels.put(l.group(1), l.group(2).replace("\\\"", "\"").replace("\\\\", "\\"));
        }
      }
      double value;
      try {
        value = Double.parseDouble(m.group(4));
      } catch (NumberFormatException e) {
        value = Double.NaN;
      }
      samples.add(new Sample(m.group(1), labels, value));
    }
    return samples;
  }

  /** A variable's value as Flink's reporter writes it into a label: what Prometheus does not allow becomes {@code _}. */
  public static String labelValue(String value) {
    return value.replaceAll("[^a-zA-Z0-9:_]", "_");
  }

  /** The samples whose name ends with {@code _<metric>} and which carry label {@code key=value}. */
  public static List<Sample> find(List<Sample> samples, String metric, String key, String value) {
    List<Sample> out = new ArrayList<>();
    for (Sample s : samples) {
      if (s.name.endsWith("_" + metric) && labelValue(value).equals(s.labels.get(key))) {
        out.add(s);
      }
    }
    return out;
  }

  /** The sum over the matching samples (a counter of several subtasks); NaN when none matches. */
  public static double sum(List<Sample> samples, String metric, String key, String value) {
    List<Sample> found = find(samples, metric, key, value);
    return found.isEmpty() ? Double.NaN : found.stream().mapToDouble(s -> s.value).sum();
  }
}
