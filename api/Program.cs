using Billing.Api.Hosting;
using Billing.Api.Portal;

var builder = WebApplication.CreateBuilder(args);
builder.AddBillingApi();
builder.AddBillingPortal();

var app = builder.Build();
app.UseBillingPortalAssets();
app.UseBillingApi();
app.MapBillingApi();
app.MapBillingPortal();
app.Run();
