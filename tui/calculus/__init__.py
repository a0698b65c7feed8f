"""The calculus screen: descent on analytic surfaces, optimizer races, secant to tangent."""
