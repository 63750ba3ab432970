// placeholder so the target exists until the module lands
namespace sm {}
