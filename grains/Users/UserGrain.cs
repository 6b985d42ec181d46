using System.Net.Mail;
using Billing.Errors;

namespace Billing.Users;

public sealed class UserGrain(
    [PersistentState("user", StorageNames.Billing)] IPersistentState<UserGrain.State> user) : Grain, IUserGrain
{
    async Task IUserGrain.Record(UserProfile profile)
    {
        var email = profile.Email?.Trim() ?? "";
        if (email.Length is 0 or > UserLimits.MaxEmailLength || !MailAddress.TryCreate(email, out _))
            throw BillingException.Invalid("email", "user.email.invalid", "A user's email is a valid address of at most 254 characters.");
        // A display name is optional, but when given it goes into email greetings: visible text only.
        var name = string.IsNullOrWhiteSpace(profile.DisplayName)
            ? ""
            : Billing.Text.Names.Validate(profile.DisplayName, "displayName", "user.display-name.invalid", UserLimits.MaxDisplayNameLength);

        var recorded = new UserProfile(email, name);
        if (user.State.Profile == recorded)
            return;
        user.State.Profile = recorded;
        await user.WriteStateAsync();
    }

    Task<UserProfile?> IUserGrain.Get() => Task.FromResult(user.State.Profile);

    [GenerateSerializer, Alias("billing.users.state")]
    public sealed class State
    {
        [Id(0)] public UserProfile? Profile { get; set; }
    }
}
