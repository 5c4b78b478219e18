package io.synalign.models.llm;

/**
 * A chat model decorator's base: the model's names ({@link #backend()}, {@link #model()},
 * {@link #modelIdentity()}, {@link #identify()}) and its budgets ({@link #replyBudget},
 * {@link #defaultReplyBudget}) are its delegate's, so a journal key or a provenance record names
 * the model that answers, however many decorators wrap it. Subclasses implement
 * {@link #complete} and check their arguments (the delegate included) in their constructors.
 */
public abstract class ForwardingChatModel implements ChatModel {

    /** The model this one wraps. */
    protected final ChatModel delegate;

    protected ForwardingChatModel(ChatModel delegate) {
        this.delegate = delegate;
    }

    @Override
    public String backend() {
        return delegate.backend();
    }

    @Override
    public String model() {
        return delegate.model();
    }

    @Override
    public String modelIdentity() {
        return delegate.modelIdentity();
    }

    @Override
    public ModelIdentity identify() {
        return delegate.identify();
    }

    @Override
    public java.util.OptionalInt replyBudget(ChatRequest request) {
        return delegate.replyBudget(request);
    }

    @Override
    public java.util.OptionalInt defaultReplyBudget(ChatRequest request) {
        return delegate.defaultReplyBudget(request);
    }
}
