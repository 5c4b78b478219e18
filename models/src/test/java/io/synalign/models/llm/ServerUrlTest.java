package io.synalign.models.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

/**
 * The server's name in a journal's record ({@link ServerUrl#canonical}): spellings HTTP treats as
 * one server meet, names are not resolved, and URLs already canonical are left character for
 * character (records written before keep being found).
 */
class ServerUrlTest {

    @Test
    void canonicalUrlsAreLeftAsTheyAre() {
        for (String url : new String[] {"http://127.0.0.1:8080/v1", "http://localhost:8000/v1",
            "https://api.openai.com/v1", "http://[::1]:11434/v1", "https://host.example/Proxy/V1",
            "http://gpu-box.local:8080", "https://x.example/a%2Fb/v1", "http://10.0.0.7:80800/v1"}) {
            assertEquals(url, ServerUrl.canonical(url));
        }
    }

    @Test
    void spellingsOfOneServerMeet() {
        assertEquals("http://localhost:8080/v1", ServerUrl.canonical("HTTP://LocalHost:8080/v1/"));
        assertEquals("http://localhost/v1", ServerUrl.canonical("http://localhost:80/v1"));
        assertEquals("https://api.openai.com/v1", ServerUrl.canonical("https://API.OpenAI.com:443/v1//"));
        assertEquals("http://[::1]:8080/v1", ServerUrl.canonical("http://[::1]:8080/v1/"));
        assertEquals("http://h.example", ServerUrl.canonical("http://h.example:80/"));
    }

    @Test
    void whatHttpDistinguishesStaysApart() {
        assertNotEquals(ServerUrl.canonical("http://localhost:8080/v1"), ServerUrl.canonical("http://127.0.0.1:8080/v1"),
                "names are not resolved");
        assertEquals("https://h.example:80/v1", ServerUrl.canonical("https://h.example:80/v1"),
                "80 is https's port only by choice");
        assertEquals("http://h.example:443/v1", ServerUrl.canonical("http://h.example:443/v1"));
        assertEquals("http://h.example/V1", ServerUrl.canonical("http://H.example/V1"), "paths keep their case");
        assertEquals("not a url", ServerUrl.canonical("not a url"));
        assertEquals("http://%zz", ServerUrl.canonical("http://%zz"));
    }
}
