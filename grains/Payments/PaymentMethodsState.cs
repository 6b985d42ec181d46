namespace Billing.Payments;

/// <summary>The vault of one app: its stored methods (tokens and what may be shown, never a card number or CVV).</summary>
[GenerateSerializer, Alias("billing.payments.methods.state")]
public sealed class PaymentMethodsState
{
    [Id(0)] public Dictionary<string, StoredPaymentMethod> Methods { get; set; } = new(StringComparer.Ordinal);

    [Id(1)] public int MethodSequence { get; set; }

    /// <summary>A1: the method auto-reload charges; it cannot be removed while auto-reload uses it.</summary>
    [Id(2)] public string? AutoReloadMethodId { get; set; }

    /// <summary>The methods a state from before the split held were taken over (or there were none).</summary>
    [Id(3)] public bool Imported { get; set; }
}
