// core/overloaded.h — one visitor from several lambdas, for std::visit:
//   std::visit(Overloaded{[](const A&) {...}, [](const B&) {...}}, v);
// A missing alternative is a compile error, which is the point.
#pragma once

namespace edgegw {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

}  // namespace edgegw
