package io.synalign.examples;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.synalign.generation.GeneratedSample;
import io.synalign.kernels.FloatMatrix;
import io.synalign.models.llm.ChatModel;
import io.synalign.models.llm.ChatReply;
import io.synalign.models.llm.ChatRequest;
import io.synalign.models.llm.Schemas;
import io.synalign.pipeline.Generation;
import io.synalign.pipeline.TextAlignment;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Generates labelled synthetic rows with any {@link ChatModel}: SynAlign picks demonstration
 * groups by GP exploration-aware sampling, asks the model to summarise each group's attributes,
 * then asks for new samples that carry them. In production the model is
 * {@code OpenAiCompatibleChatModel} (any OpenAI-compatible server) or {@code GgufChatModel} (a
 * local GGUF file); here it is a tiny stand-in that answers both requests in the schema asked
 * for, so the example runs offline.
 */
public final class GenerateWithChatModel {

    private GenerateWithChatModel() {
    }

    /** A stand-in LLM: fixed attributes, and numbered samples that name the attributes asked. */
    static final class TemplateChatModel implements ChatModel {
        private final AtomicInteger counter = new AtomicInteger();

        @Override
        public ChatReply complete(ChatRequest request) {
            ObjectNode reply = JsonNodeFactory.instance.objectNode();
            if (request.responseSchema().name().equals(Schemas.ATTRIBUTES.name())) {
                reply.put("tone", "plain");
                reply.put("length", "one sentence");
            } else {
                ArrayNode samples = reply.putArray("samples");
                for (int k = 0; k < 3; k++) {
                    samples.addObject().put("text", "A plain one-sentence example, number "
                            + counter.incrementAndGet() + ".");
                }
            }
            return new ChatReply(reply.toString(), reply, "stop", 1, 0, false);
        }

        @Override
        public String backend() {
            return "example";
        }

        @Override
        public String model() {
            return "template";
        }
    }

    /** Generates {@code perLabel} rows per label of {@code real} with {@code chat}. */
    public static Generation.Result generate(ChatModel chat, TextAlignment.Texts real,
            FloatMatrix realEmbeddings, int perLabel) {
        return new Generation(Generation.Options.perLabel(perLabel).withSeed(11))
                .withLlm(chat, real, realEmbeddings);
    }

    public static void main(String[] args) {
        List<String> texts = List.of("Great match last night.", "The team lost again.",
                "A win at home.", "Fresh bread this morning.", "Soup for dinner.",
                "Pasta with tomatoes.");
        List<String> labels = List.of("sport", "sport", "sport", "food", "food", "food");
        // Any embedding of the real texts works; a sentence encoder's in practice.
        FloatMatrix embeddings = AlignEmbeddings.gaussian(new Random(5), texts.size(), 8, 0, 0);
        Generation.Result r = generate(new TemplateChatModel(),
                new TextAlignment.Texts(texts, labels), embeddings, 4);
        for (GeneratedSample s : r.samples()) {
            System.out.println(s.label() + "\t" + s.text());
        }
        System.out.println("generated " + r.samples().size() + " rows " + r.quotas() + " with "
                + r.backend() + " model " + r.model());
    }
}
