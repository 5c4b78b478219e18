package io.synalign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.synalign.cli.SynAlignCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The library artifact ({@code synalign-cli}, the pipeline API's) gives its users slf4j-api
 * alone: no SLF4J binding and no {@code simplelogger.properties}. A host with its own binding
 * (log4j2, logback) otherwise gets two providers, and when slf4j-simple is found first, the
 * host's own warnings printed as "synalign: warning: ..." and its info lines dropped. The command
 * line keeps both: the shade plugin packs slf4j-simple and the settings into the fat jar, and
 * {@code CliEngineTest.warningsCarryTheCommandsPrefix} checks the wording.
 *
 * <p>Checked where a user gets them from: the poms installed for the artifact and the SynAlign
 * modules it depends on (installed as written: no dependency-reduced pom), and the classes the
 * thin jar packs ({@code target/classes}).
 */
class LibraryLoggingTest {

    private static final String BINDING = "slf4j-simple";

    /** The module's folder: {@code target/classes}, where the main classes are, is below it. */
    private static Path moduleDir() throws Exception {
        return mainClasses().getParent().getParent();
    }

    private static Path mainClasses() throws Exception {
        return Path.of(SynAlignCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    @Test
    void noPomAUserResolvesDeclaresTheBindingForThem() throws Exception {
        Path root = moduleDir().getParent();
        // synalign-cli's pom and its parent, then the SynAlign modules it depends on, transitively.
        Deque<Path> poms = new ArrayDeque<>(List.of(moduleDir().resolve("pom.xml"), root.resolve("pom.xml")));
        Set<Path> seen = new HashSet<>();
        List<String> leaks = new ArrayList<>();
        int bindingsSeen = 0;
        while (!poms.isEmpty()) {
            Path pom = poms.pop();
            if (!seen.add(pom)) {
                continue;
            }
            for (Element dep : dependencies(pom)) {
                String group = text(dep, "groupId");
                String artifact = text(dep, "artifactId");
                String scope = text(dep, "scope");
                boolean reachesUsers = !"test".equals(scope) && !"provided".equals(scope)
                        && !"true".equals(text(dep, "optional"));
                if (BINDING.equals(artifact)) {
                    bindingsSeen++;
                    if (reachesUsers) {
                        leaks.add(root.relativize(pom) + " (scope " + (scope == null ? "compile" : scope) + ")");
                    }
                }
                if ("io.synalign".equals(group) && reachesUsers && !"test-jar".equals(text(dep, "type"))) {
                    poms.push(root.resolve(artifact.replaceFirst("^synalign-", "")).resolve("pom.xml"));
                }
            }
        }
        assertTrue(seen.size() >= 6, "the module poms read: " + seen);
        assertTrue(bindingsSeen > 0, "the CLI's own optional binding was found in " + seen);
        assertEquals(List.of(), leaks, "poms giving library users an SLF4J binding");
    }

    @Test
    void theThinJarCarriesNoLoggingSettings() throws Exception {
        assertTrue(Files.exists(mainClasses().resolve("io/synalign/cli/SynAlignCommand.class")), mainClasses().toString());
        assertFalse(Files.exists(mainClasses().resolve("simplelogger.properties")),
                "simplelogger.properties among the library's classes: " + mainClasses());
        // The settings the fat jar and the tests get, from main/cli.
        Properties cli = new Properties();
        try (var in = Files.newInputStream(moduleDir().resolve("main/cli/simplelogger.properties"))) {
            cli.load(in);
        }
        assertEquals("synalign: warning:", cli.getProperty("org.slf4j.simpleLogger.warnLevelString"));
    }

    /** The {@code <dependency>} elements of the pom's own {@code <dependencies>} (not its management). */
    private static List<Element> dependencies(Path pom) throws Exception {
        Element project = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile())
                .getDocumentElement();
        List<Element> deps = new ArrayList<>();
        for (Node n = project.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals("dependencies")) {
                NodeList list = e.getElementsByTagName("dependency");
                for (int i = 0; i < list.getLength(); i++) {
                    deps.add((Element) list.item(i));
                }
            }
        }
        return deps;
    }

    private static String text(Element dep, String child) {
        NodeList list = dep.getElementsByTagName(child);
        return list.getLength() == 0 ? null : list.item(0).getTextContent().strip();
    }
}
