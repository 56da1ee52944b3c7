package io.github.streamingjob.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every relative link in the README and docs/ points at a file that exists, and at a heading in it. */
class DocsLinksTest {
  private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
  private static final Pattern HEADING = Pattern.compile("(?m)^#{1,6} (.+)$");
  private static final Pattern ANCHOR = Pattern.compile("<a id=\"([^\"]+)\"");

  static List<Path> pages() throws IOException {
    List<Path> pages = new ArrayList<>(List.of(Path.of("README.md")));
    try (Stream<Path> docs = Files.list(Path.of("docs"))) {
      pages.addAll(docs.filter(p -> p.toString().endsWith(".md")).sorted().collect(Collectors.toList()));
    }
    return pages;
  }

  /** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
  static Set<String> anchors(Path page) throws IOException {
    String text = Files.readString(page).replaceAll("(?s)```.*?```", "");
    Set<String> anchors = new HashSet<>();
    Matcher h = HEADING.matcher(text);
    while (h.find()) {
      anchors.add(h.group(1).trim().toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-'));
    }
    Matcher a = ANCHOR.matcher(text);
    while (a.find()) {
      anchors.add(a.group(1));
    }
    return anchors;
  }

  @Test
  void everyRelativeLinkResolves() throws IOException {
    List<String> broken = new ArrayList<>();
    int checked = 0;
    for (Path page : pages()) {
      Matcher m = LINK.matcher(Files.readString(page).replaceAll("(?s)```.*?```", ""));
      while (m.find()) {
        String target = m.group(1);
        if (target.matches("^[a-z]+:.*")) {
          continue; // http(s), mailto
        }
        checked++;
        String file = target.contains("#") ? target.substring(0, target.indexOf('#')) : target;
        String anchor = target.contains("#") ? target.substring(target.indexOf('#') + 1) : null;
        Path resolved = file.isEmpty() ? page : page.toAbsolutePath().getParent().resolve(file).normalize();
        if (!Files.exists(resolved)) {
          broken.add(page + ": " + target + " (no such file)");
        } else if (anchor != null && !anchors(resolved).contains(anchor)) {
          broken.add(page + ": " + target + " (no such heading)");
        }
      }
    }
    assertThat(checked).isGreaterThan(20);
    assertThat(broken).isEmpty();
  }

  @Test
  void everyDocsPageIsLinkedFromTheReadme() throws IOException {
    String readme = Files.readString(Path.of("README.md"));
    for (Path page : pages().subList(1, pages().size())) {
      assertThat(readme).as(page.toString()).contains("](" + "docs/" + page.getFileName() + ")");
    }
  }
}
