namespace Billing.Payments;

/// <summary>
/// The payment-method vault of one app (keyed by the app id): stored cards and PayPal accounts as gateway tokens (brand,
/// last 4 and expiry only, never a card number or CVV), and their expiry notices (M3). Purchases, subscriptions and
/// auto-reload read a method's token here when they charge it.
/// </summary>
public interface IPaymentMethodsGrain : IGrainWithStringKey
{
    /// <summary>M1: stores a card (tokenized by the gateway) or a PayPal account. W4: refused in Enterprise workspaces.</summary>
    Task<PaymentMethodView> AddPaymentMethod(AddPaymentMethod command);

    /// <summary>The stored methods, oldest first.</summary>
    Task<IReadOnlyList<PaymentMethodView>> GetPaymentMethods();

    /// <summary>Removes a stored method (W4: refused in Enterprise workspaces). The method auto-reload charges cannot be removed.</summary>
    Task RemovePaymentMethod(string paymentMethodId, string userId);

    /// <summary>A stored method with its gateway token; a 400 naming <c>paymentMethodId</c> when the app has no such method.</summary>
    Task<ChargeableMethod> GetChargeableMethod(string paymentMethodId);

    /// <summary>A stored method with its gateway token, or null when it was removed (an interrupted charge then fails as declined).</summary>
    Task<ChargeableMethod?> FindChargeableMethod(string paymentMethodId);

    /// <summary>
    /// A1: auto-reload will charge this method (null: none, auto-reload is off). A card or PayPal method of the app, never
    /// a wire transfer; from then on it cannot be removed until auto-reload moves off it.
    /// </summary>
    Task<ChargeableMethod?> UseForAutoReload(string? paymentMethodId);

    /// <summary>M3: sends the card-expiry notices that are due at the app's (test-clock) time, once per card and notice.</summary>
    Task RunDue();
}
